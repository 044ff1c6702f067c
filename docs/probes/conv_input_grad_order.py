"""Probe of oneDNN's conv2d input-gradient order in PyTorch 2.15 (docs/divergences.md, "conv backward").

Usage: python conv_input_grad_order.py N,C,H,W,O,K,S,P ...   (S = 2 for (2, 2), 21 for (2, 1), 12 for (1, 2)).
For each shape, counts the elements of x.grad whose bits equal each candidate order, emulated
in numpy (float64 products rounded to float32 per step; FMA up to rare double rounding).
"""
import torch, numpy as np, sys
import torch.nn.functional as F
f32=np.float32
def run(N,C,H,W,O,K,S,P):
    torch.manual_seed(1)
    x = torch.randn(N,C,H,W, requires_grad=True)
    w = torch.randn(O,C,K,K)
    SH,SW=(S//10,S%10) if S>=10 else (S,S)
    y = F.conv2d(x, w, stride=(SH,SW), padding=P)
    gy = torch.randn_like(y)
    y.backward(gy)
    ref = x.grad.numpy()
    G = gy.numpy().astype(np.float64); Wt = w.numpy().astype(np.float64)
    OH,OW = y.shape[2], y.shape[3]
    def terms(iy,ix):
        t=[]
        for ky in range(K):
            for kx in range(K):
                sy=iy+P-ky; sx=ix+P-kx
                if sy%SH or sx%SW: continue
                oy,ox=sy//SH,sx//SW
                if 0<=oy<OH and 0<=ox<OW: t.append((ky,kx,oy,ox))
        return t
    # vectorised over (n, c): G[:, o, oy, ox] (N,) x Wt[o, :, ky, kx] (C,)
    def chain(items, acc):
        for (ky,kx,oy,ox,o) in items:
            acc = (G[:,o,oy,ox][:,None]*Wt[o,:,ky,kx][None,:] + acc).astype(f32).astype(np.float64)
        return acc
    def grouped(keyf, inner):
        def f(t):
            groups={}
            for (ky,kx,oy,ox) in t:
                for o in range(O): groups.setdefault(keyf(ky,kx,o),[]).append((ky,kx,oy,ox,o))
            tot=None
            for k in sorted(groups):
                part=chain(sorted(groups[k], key=inner), np.zeros((N,C)))
                tot = part if tot is None else (tot+part).astype(f32).astype(np.float64)
            return np.zeros((N,C)) if tot is None else tot
        return f
    def seq(key):
        return lambda t: chain(sorted([(ky,kx,oy,ox,o) for (ky,kx,oy,ox) in t for o in range(O)], key=key), np.zeros((N,C)))
    orders = {
     'ky,kx,o': seq(lambda a:(a[0],a[1],a[4])),
     'perkx': grouped(lambda ky,kx,o: kx, lambda a:(a[0],a[4])),
     'ob16,ky,kx,o': seq(lambda a:(a[4]//16,a[0],a[1],a[4])),
     'perkx,ob16': grouped(lambda ky,kx,o: kx, lambda a:(a[4]//16,a[0],a[4])),
     'ob16sep': grouped(lambda ky,kx,o: o//16, lambda a:(a[0],a[1],a[4])),
     'ob16,perkx': grouped(lambda ky,kx,o: (o//16,kx), lambda a:(a[0],a[4])),
    }
    res = {k:0 for k in orders}; tot=0
    for iy in range(H):
        for ix in range(W):
            t = terms(iy,ix); tot+=N*C
            for name,f in orders.items():
                res[name]+= int((f32(f(t))==ref[:,:,iy,ix]).sum())
    print((N,C,H,W,O,K,S,P), OH, OW, tot, ' '.join(f'{k}:{v}' for k,v in res.items()), flush=True)
for line in sys.argv[1:]:
    run(*map(int,line.split(',')))
