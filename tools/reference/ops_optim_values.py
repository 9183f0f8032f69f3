# Prints the PyTorch values that tests/Recurrent.Tests/Optim/PyTorchValueTests.cs and
# tests/Recurrent.Tests/Ops/PyTorchValueTests.cs hold as literals (scalar-parameter optimizer trajectories,
# LR schedules, clipping, weighted cross-entropy, BCE with pos_weight, layer norm), computed in float64.
# Run: /usr/bin/python3 tools/reference/ops_optim_values.py   (made with Debian's PyTorch 1.13)
import torch, math
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
# 1 CE
L = torch.tensor([[1.,2,3],[1,1,1],[0,0,5]])
L0=math.log(1+math.exp(-1)+math.exp(-2)); L1=math.log(3); L2=5+math.log(1+2*math.exp(-5))
cw=torch.tensor([1,2,0.5])
print("CE w", F.cross_entropy(L, torch.tensor([2,0,1]), weight=cw).item(), (0.5*L0+L1+2*L2)/3.5)
print("CE w ign", F.cross_entropy(L, torch.tensor([2,-100,1]), weight=cw).item(), (0.5*L0+2*L2)/2.5)
print("CE none", F.cross_entropy(L, torch.tensor([2,-100,1]), weight=cw, reduction='none').tolist(), [0.5*L0,0,2*L2])
x=L.clone().requires_grad_(); l=F.cross_entropy(x, torch.tensor([-100,-100,-100])); l.backward(); print("CE all ignored", l.item(), x.grad.abs().sum().item())
# BCE pos weight
xs=torch.tensor([-2,-0.5,0,1.5,3.]).reshape(5,1); ys=torch.tensor([0,1,0.3,1,0.]).reshape(5,1)
print("BCE pw", F.binary_cross_entropy_with_logits(xs, ys, pos_weight=torch.tensor([3.]), reduction='none').flatten().tolist())
print("BCE pw naive", [-(3*y*math.log(1/(1+math.exp(-x))) + (1-y)*math.log(1-1/(1+math.exp(-x)))) for x,y in zip(xs.flatten().tolist(), ys.flatten().tolist())])
# LN
print("LN", F.layer_norm(torch.tensor([[1.,2,3,4]]),(4,),torch.tensor([1.,2,1,1]),torch.tensor([0,0,0,10.])).tolist())
def traj(opt_fn, steps, grad):
    p=torch.tensor([1.0],requires_grad=True); o=opt_fn([p]); r=[]
    for _ in range(steps):
        o.zero_grad(); p.grad=torch.tensor([grad(p.item())]); o.step(); r.append(p.item())
    return r
g1=lambda p: 2*p+math.sin(5*p)
for wd,dec,ams in [(0,False,False),(0.1,False,False),(0.1,True,False),(0,False,True)]:
    f=(lambda ps: torch.optim.AdamW(ps,lr=0.1,betas=(0.8,0.9),eps=1e-6,weight_decay=wd,amsgrad=ams)) if dec else (lambda ps: torch.optim.Adam(ps,lr=0.1,betas=(0.8,0.9),eps=1e-6,weight_decay=wd,amsgrad=ams))
    print("adam",wd,dec,ams, traj(f,4,g1))
g2=lambda p: 2*p+math.cos(3*p)
for wd,mom,c in [(0,0,False),(0.1,0,False),(0,0.9,False),(0,0,True),(0.05,0.5,True)]:
    print("rms",wd,mom,c, traj(lambda ps: torch.optim.RMSprop(ps,lr=0.05,alpha=0.9,eps=1e-6,weight_decay=wd,momentum=mom,centered=c),4,g2))
print("rms default", traj(lambda ps: torch.optim.RMSprop(ps),2,lambda p:2*p))
print("adagrad", traj(lambda ps: torch.optim.Adagrad(ps,lr=0.1),2,lambda p:2*p))
print("adagrad decay", traj(lambda ps: torch.optim.Adagrad(ps,lr=0.1,lr_decay=0.5,initial_accumulator_value=1,eps=0),2,lambda p:2*p))
print("sgd", traj(lambda ps: torch.optim.SGD(ps,lr=0.1,momentum=0.9,dampening=0.5),2,lambda p:2*p), traj(lambda ps: torch.optim.SGD(ps,lr=0.1,momentum=0.9,nesterov=True),2,lambda p:2*p))
# schedulers
def lrs(mk, n, metrics=None):
    p=torch.zeros(1,requires_grad=True); o=torch.optim.SGD([p],lr=1); s=mk(o); r=[]
    for e in range(n):
        o.step(); s.step(metrics[e]) if metrics else s.step(); r.append(o.param_groups[0]['lr'])
    return r
print("steplr", lrs(lambda o: torch.optim.lr_scheduler.StepLR(o,2,0.5),5))
print("cos", lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o,4,0.1),8))
print("cos closed", [0.1+0.9*(1+math.cos(math.pi*e/4))/2 for e in range(1,9)])
m=[1, 0.9, 0.89995, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
print("plateau", lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o,factor=0.5,patience=2,cooldown=1,min_lr=0.2),13,m))
print("plateau max abs", lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o,mode='max',factor=0.1,patience=0,threshold=0.05,threshold_mode='abs'),3,[0.5,0.54,0.56]))
a=torch.tensor([1.,-2,3],requires_grad=True); a.grad=torch.tensor([1.,-2,3]); print("clip inf", torch.nn.utils.clip_grad_norm_([a],1.5,norm_type=float('inf')).item(), a.grad.tolist())
